"""The programme's indicators (see :mod:`app.services.stats.measures` for their definitions)."""

from app.services.stats.breakdowns import BREAKDOWNS, breakdown
from app.services.stats.measures import Frame, frame
from app.services.stats.overview import overview

__all__ = ["BREAKDOWNS", "Frame", "breakdown", "frame", "overview"]
