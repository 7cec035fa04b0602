module github.com/fae-dev/fae

go 1.26.8

require (
	github.com/cenkalti/backoff/v5 v5.0.3
	github.com/maypok86/otter/v2 v2.4.0
	github.com/pelletier/go-toml/v2 v2.4.3
	go.yaml.in/yaml/v3 v3.0.6
)

require github.com/bradfitz/gomemcache v0.0.0-20260422231931-4d751bb6e37c
