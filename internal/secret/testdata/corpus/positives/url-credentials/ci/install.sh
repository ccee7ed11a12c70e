pip install --index-url https://ci:YL9zklGFXHiShUO8sUNI@pypi.corp.invalid/simple corp-lib
