"""Pure domain: models, rules and checks. Imports nothing of AWS, Chalice or Jinja2."""
