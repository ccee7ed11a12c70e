FROM alpine:3.20
COPY --chmod=755 app /app
RUN mkdir -p /scratch && chmod 1777 /scratch && chmod -R go-w /app
