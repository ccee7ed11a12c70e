FROM alpine:3.20
LABEL org.example.deploy-token="glpat-Xq3vR8sT2uW9yZ1aB4cD"
