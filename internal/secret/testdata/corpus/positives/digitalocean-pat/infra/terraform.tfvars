region   = "ams3"
do_token = "dop_v1_d1956c3838ed13c5fe696723358ff0e9a7e9cc930f6ca79f5bd3f01d5bd09b37"
