"""Is the database there?"""

from __future__ import annotations

from sqlalchemy import text

from app.core.db import Database


async def ping(db: Database) -> None:
    """One round trip; raises when the database cannot be reached (rendered as 503)."""
    async with db.engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
