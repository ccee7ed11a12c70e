FROM debian:12
RUN wget -qO- https://example.com/data.csv | gzip > /data.csv.gz
