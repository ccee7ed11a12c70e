FROM alpine:3.20
RUN apk add --no-cache curl=8.11.0-r2
