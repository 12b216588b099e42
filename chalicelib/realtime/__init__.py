"""Realtime delivery over the API Gateway WebSocket API."""
