"""ModelArts routes (placeholder until issue 3 lands)."""

from flask import Blueprint

blueprint = Blueprint("modelarts", __name__)
