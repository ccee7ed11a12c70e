import requests

INSTALLATION_TOKEN = "ghs_CHUpq2U68PBs7aFWKJzkupfbFnQJj947ulYO"
requests.get("https://api.github.com/installation/repositories",
             headers={"Authorization": "token " + INSTALLATION_TOKEN})
