"""Runtime code shared by the traffic app (app.py) and the clock app (scheduled/app.py)."""
