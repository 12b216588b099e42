"""The local stand-in for AWS: ``python -m infra.local`` (``make dev``).

moto's server plays DynamoDB and Cognito, Chalice's local server plays API Gateway REST,
``gateway.py`` plays the API Gateway WebSocket API (``$connect``/``$default``/
``$disconnect`` and ``@connections``), ``sites.py`` plays the CDN (widget, panel) and a
customer's website on another origin.
"""
