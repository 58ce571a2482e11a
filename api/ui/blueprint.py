"""The ``ui`` blueprint: templates and static files of the dashboard, shipped inside the package."""

from flask import Blueprint

bp = Blueprint("ui", __name__, url_prefix="/ui", template_folder="templates", static_folder="static")
