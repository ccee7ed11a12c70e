FROM alpine:3.20
RUN cd /usr/src/app && make
