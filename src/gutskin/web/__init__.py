"""The web app: FastAPI pages and the JSON API over the engine, the report and the store (docs/web.md)."""
