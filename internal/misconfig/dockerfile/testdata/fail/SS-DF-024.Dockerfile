FROM nginx:1.27
HEALTHCHECK CMD curl -fsS http://localhost/ || exit 1
HEALTHCHECK --interval=10s CMD curl -fsS http://localhost/healthz || exit 1
