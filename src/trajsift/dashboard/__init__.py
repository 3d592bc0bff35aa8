"""The live quality dashboard: a feature of the web app (`dashboard.routes.dashboard_feature`).

Reads run folders (`dashboard.model`) written by `trajsift run` (`trajsift.live` while it runs); imports
`trajsift.web`, never `trajsift.review`. Importing this package never imports FastAPI.
"""
