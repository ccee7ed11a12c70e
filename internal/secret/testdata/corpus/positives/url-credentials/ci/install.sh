pip install --index-url https://ci:YL9zklGFXHiShUO8sUNI@pypi.acme-corp.io/simple corp-lib
