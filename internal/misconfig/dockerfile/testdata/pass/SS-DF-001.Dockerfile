FROM debian:12.7-slim
RUN useradd --system --uid 10001 app
COPY app /usr/local/bin/app
USER app
CMD ["app"]
