//! The map: a projector between Web Mercator and the screen ([`view`]), geometry
//! prepared for drawing on workers ([`cache`], [`tessellate`]) and the canvas widget
//! that pans, zooms, draws and identifies ([`canvas`]), and an optional tile basemap
//! beneath the layers ([`basemap`], [`tiles`]); what is cached per view is rebuilt
//! on a worker ([`rebuild`]).

pub mod basemap;
pub mod cache;
pub mod canvas;
pub mod raster;
pub mod rebuild;
pub mod tessellate;
pub mod tiles;
pub mod view;
