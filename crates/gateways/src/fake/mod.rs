pub mod pix;
