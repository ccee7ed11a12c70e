#!/bin/sh
git clone https://x-access-token:ghp_SbEoPo3nmUDJmeS4go4RCpYMnMn9h1nFseca@github.com/corp/site.git
