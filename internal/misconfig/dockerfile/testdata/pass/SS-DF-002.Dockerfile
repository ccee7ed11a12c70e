FROM alpine:3.20
USER root
RUN adduser -D app
USER app
CMD ["/bin/sh"]
