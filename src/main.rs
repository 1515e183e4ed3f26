fn main() {
    tch::manual_seed(0);
    println!("{:?}", tch::Tensor::from_slice(&[1.0f32, 2.0]));
}
