FROM nginx:1.27
HEALTHCHECK --interval=10s CMD curl -fsS http://localhost/healthz || exit 1
