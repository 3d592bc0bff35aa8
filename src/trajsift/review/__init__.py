"""Human review desk (stage 5): queue, trajectory viewer, labels, compare, agreement, finalize.

A feature of the web base (`trajsift.web`); never imports `trajsift.dashboard`. Imports FastAPI / SQLAlchemy:
load it lazily (the CLI does) so `import trajsift` stays light. Entry point: `trajsift.review.app.create_app`.
"""
