curl -X POST -F token=glptt-9038a755017592608df4fef267baa018386b75e3 -F ref=main \
  https://gitlab.acme-corp.io/api/v4/projects/42/trigger/pipeline
