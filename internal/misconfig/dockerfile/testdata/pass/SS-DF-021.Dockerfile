FROM alpine:3.20
ARG APP_VERSION=1.2.3
RUN --mount=type=secret,id=github_token,env=GITHUB_TOKEN echo building $APP_VERSION
