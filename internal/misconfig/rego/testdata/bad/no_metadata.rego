package custom.bad

import rego.v1

deny contains "always" if true
