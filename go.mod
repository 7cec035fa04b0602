module github.com/fae-dev/fae

go 1.26.8

require (
	github.com/maypok86/otter/v2 v2.4.0 // indirect
	github.com/pelletier/go-toml/v2 v2.4.3 // indirect
	go.yaml.in/yaml/v3 v3.0.6 // indirect
)
