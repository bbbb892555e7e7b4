"""Code the rides app ships beside app.py: the rider's web page (web.py, web/)."""
