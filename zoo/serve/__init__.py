"""`zoo serve`: web pages and a JSON API for the zoo's models, feedback in a database (docs/SERVING.md).

service.py answers requests, api.py is the HTTP API, pages.py the Gradio pages, app.py puts them
together under uvicorn. Needs the `serve` extra: pip install "kerazoo[serve]".
"""
