gitlab-runner register --non-interactive --url https://gitlab.acme-corp.io \
  --registration-token GR1348941e6ZtnIa7dI5kxCroUVQb --executor docker
