"""The console at /console: vendors' developers and marketplace admins (issue 5).

Pages are server-rendered (Jinja2); ``static/console.js`` adds live updates and copy buttons.
Every page calls the same domain functions as the GraphQL API, as the console user's ``Actor``.
"""
