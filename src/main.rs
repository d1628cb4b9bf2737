fn main() {
    println!("xrcsim: scenario runner not built yet");
}
