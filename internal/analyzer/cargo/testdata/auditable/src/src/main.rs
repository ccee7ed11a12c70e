fn main() {
    let tty = atty::is(atty::Stream::Stdout);
    let now = time::get_time();
    let mut v: smallvec::SmallVec<[u32; 4]> = smallvec::SmallVec::new();
    v.push(now.sec as u32);
    let re = regex::Regex::new(r"^\d+$").unwrap();
    println!("tty={} digits={} {}", tty, re.is_match(&v[0].to_string()), v.len());
}
