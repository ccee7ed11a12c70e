FROM alpine:3.20
RUN adduser -D app
USER app
RUN echo building
USER root
CMD ["/bin/sh"]
