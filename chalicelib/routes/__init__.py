"""Chalice blueprints: parse the request, make one service call, shape the response."""
