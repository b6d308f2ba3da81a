"""`zoo serve`: the JSON API and the Gradio pages in one FastAPI app, served by uvicorn.

zoo serve                                   # http://127.0.0.1:7860, every model with a page
zoo serve --models mnist_cnn,char_gpt --port 8080 --db sqlite:///runs/feedback.db
zoo serve --models-dir runs/ --versions runs/flywheel/versions
"""

from __future__ import annotations

import os

from zoo.core import flags
from zoo.serve.service import Service


def create_app(service: Service, pages: bool = True, **limits):
    """The FastAPI app: /api/v1/..., /healthz, /docs, and (with `pages`) the web pages at /."""
    from zoo.serve.api import MAX_BODY, create_api

    app = create_api(service, **limits)
    if pages:
        os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # the server makes no call out
        import gradio as gr

        from zoo.serve import pages as web

        blocks = web.build(service).queue(  # the pages' own bound, as --concurrency bounds the API's
            default_concurrency_limit=limits.get("concurrency", 2), max_size=limits.get("queue", 32)
        )
        app = gr.mount_gradio_app(app, blocks, path="/", footer_links=["api"],
                                  max_file_size=limits.get("max_body", MAX_BODY))  # fmt: skip
    return app


def run(service: Service, host: str = "127.0.0.1", port: int = 7860, pages: bool = True, log=print, **limits):
    """Serve until interrupted."""
    import uvicorn

    flags.check_port_free(host, port, "pick another --port")
    app = create_app(service, pages=pages, **limits)
    count = len(service.names())
    log(f"zoo serve: {count} model{'s' if count != 1 else ''} on {service.backend()} at http://{host}:{port} "
        f"(API docs at /docs; feedback in {service.store.url})")  # fmt: skip
    uvicorn.run(app, host=host, port=port, log_level="warning")
