"""Business rules. Each takes its dependencies as arguments and never imports chalice."""
