FROM alpine:3.20
RUN apk add --no-cache --virtual .build-deps curl=8.11.0-r2 bash=5.2.26-r0
