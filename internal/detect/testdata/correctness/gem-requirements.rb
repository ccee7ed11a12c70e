# Writes, for every gem of a ruby-advisory-db checkout, what RubyGems itself says of each
# (version, requirement) pair: the versions are every version named in the gem's
# patched_versions and unaffected_versions plus those given on the command line as
# name@version; the requirements are each single requirement of those lists.
#
#   ruby gem-requirements.rb ADVISORY_DB_DIR [name@version ...] | gzip -n > gem-requirements.tsv.gz
require "yaml"
require "date"

db = ARGV.shift or abort "usage: ruby gem-requirements.rb ADVISORY_DB_DIR [name@version ...]"
extra = Hash.new { |h, k| h[k] = [] }
ARGV.each { |a| n, v = a.split("@", 2); extra[n] << v }

reqs = Hash.new { |h, k| h[k] = [] }
Dir.glob(File.join(db, "gems", "*", "*.yml")).sort.each do |f|
  doc = YAML.safe_load(File.read(f), permitted_classes: [Date])
  gem = doc["gem"] || File.basename(File.dirname(f))
  (Array(doc["patched_versions"]) + Array(doc["unaffected_versions"])).each do |entry|
    entry.to_s.split(",").each { |r| reqs[gem] << r.strip }
  end
end

puts "# RubyGems #{Gem::VERSION} (Ruby #{RUBY_VERSION}): version<TAB>requirement<TAB>Gem::Requirement#satisfied_by?"
rows = {}
(reqs.keys | extra.keys).sort.each do |gem|
  rs = reqs[gem].uniq
  versions = (rs.map { |r| Gem::Requirement.parse(r)[1].to_s } + extra[gem]).uniq
  versions.each do |v|
    rs.each do |r|
      rows[[v, r]] = Gem::Requirement.new(r).satisfied_by?(Gem::Version.new(v)) unless rows.key?([v, r])
    end
  end
end
rows.keys.sort.each { |v, r| puts [v, r, rows[[v, r]]].join("\t") }
