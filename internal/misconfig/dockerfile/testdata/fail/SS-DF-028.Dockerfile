FROM alpine:3.20
COPY app /app
RUN chmod -R 777 /app
