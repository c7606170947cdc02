"""The framework ceiling: a trivial Flask view under the same gunicorn settings.

gunicorn -w 2 -b 127.0.0.1:PORT --chdir bench 'hello:create_app()'
"""

from flask import Flask


def create_app() -> Flask:
    app = Flask(__name__)

    @app.get("/")
    def hello():
        return "hello"

    return app
