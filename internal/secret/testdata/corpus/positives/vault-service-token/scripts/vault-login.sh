#!/bin/bash
export VAULT_ADDR=https://vault.acme-corp.io:8200
export VAULT_TOKEN=hvs.CAESIpgM4bJ7pllK5wM25hp_yUYUVnXQj-Z-g5S6soA-oviKNKWc9jdZ3F4AlYMrJp-_nwAi-D_SXUaWcamVVQ7z5ee
