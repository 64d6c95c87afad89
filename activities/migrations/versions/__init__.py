# A package only so that the revisions ship in the wheel; Alembic itself skips this file.
