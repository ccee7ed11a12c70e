FROM rockylinux:9.3
RUN yum install -y httpd && yum clean all
