const SERVICE_JWT = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI1MDMwODE0IiwibmFtZSI6InN2Yy1iaWxsaW5nIiwiaWF0IjoxNzY0MjAxNjAwfQ.xJictF-p8_lN6P_5AJhaZxrRPWim6sQFeBw9XtHOgI4";
fetch("/api/orders", { headers: { "X-Service": SERVICE_JWT } });
