"""Every route and event handler, one Chalice blueprint per feature; app.py registers them.

Each route hands the request to one function it names directly (a service for the JSON API,
a page of chalicelib/web for the HTML), imported inside the route to keep the cold start light.
"""
