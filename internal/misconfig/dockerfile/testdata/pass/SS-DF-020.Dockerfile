FROM alpine:3.20
ENV DB_HOST=db.internal DB_PASSWORD_FILE=/run/secrets/db_password
