module example.com/app

go 1.21

require (
	example.com/greet v1.0.0
	example.com/local v0.0.0
)

replace example.com/greet v1.0.0 => example.com/greet2 v1.1.0

replace example.com/local => ./local
