FROM alpine:3.20
ENV DB_HOST=db.internal DB_PASSWORD=s3cr3t-Hunter2
